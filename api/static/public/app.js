// The public disclosure page: renders GET /v1/public/decisions (no authentication, no CDN).
"use strict";
(function () {
  const T = {
    zh: { withdrawn: "已撤回", revoked: "决定已撤销", amended: "决定已变更", voided: "决定书已作废",
          owed: "待撤回公示并说明理由",
          reason: "原因", yuan: "元", none: "暂无公示", error: "加载失败",
          // the vocabulary's names (ledger/domain/names.py; tests/test_names_consistency.py)
          types: { warning: "警告", fine: "罚款", confiscation_illegal_gains: "没收违法所得",
                   confiscation_property: "没收非法财物", suspend_business: "责令停产停业",
                   revoke_licence: "吊销许可证件", restrict_practice: "限制从业", other: "其他" },
          reasons: { decision_revoked: "决定已撤销", decision_changed: "决定已变更", error: "公示有误",
                     other: "其他原因" } },
    en: { withdrawn: "Withdrawn", revoked: "Decision revoked", amended: "Decision amended",
          voided: "Decision form voided",
          owed: "withdrawal and reason owed",
          reason: "reason", yuan: "CNY", none: "Nothing published",
          error: "Could not load",
          types: { warning: "warning", fine: "fine",
                   confiscation_illegal_gains: "confiscation of illegal gains",
                   confiscation_property: "confiscation of illegal property",
                   suspend_business: "order to suspend production or business",
                   revoke_licence: "revocation of a licence or permit",
                   restrict_practice: "restriction on practising a trade", other: "other" },
          reasons: { decision_revoked: "decision revoked", decision_changed: "decision changed",
                     error: "published in error", other: "other" } },
  };
  let lang = "zh", offset = 0, query = {};
  const rows = document.getElementById("rows");
  const more = document.getElementById("more");
  const status = document.getElementById("status");

  function text(tag, value) {
    const el = document.createElement(tag);
    el.textContent = value == null ? "" : String(value);
    return el;
  }
  function money(fen) {
    return (fen / 100).toFixed(2) + " " + T[lang].yuan;
  }
  function row(d) {
    const tr = document.createElement("tr");
    if (d.status !== "published") {    // withdrawn, revoked, amended, voided — no content: APL 第48条第2款
      tr.className = "withdrawn";
      tr.append(text("td", d.decision_no));
      const td = text("td", d.status !== "withdrawn"
        ? T[lang][d.status] + " " + (d.revoked_on || d.amended_on || d.voided_on) + " (" + T[lang].owed + ")"
        : T[lang].withdrawn + " " + d.withdrawn_on + " (" + T[lang].reason + ": "
          + (T[lang].reasons[d.withdrawal_reason] || d.withdrawal_reason) + ")");
      td.colSpan = 4;
      tr.append(td, text("td", d.published_on + " " + d.publication_ref), text("td", d.unit_id),
                text("td", ""));
      return tr;
    }
    const v = d.violation || {};
    const p = d.penalty || { types: [], amount_fen: 0 };
    const types = p.types.map((t) => T[lang].types[t] || t).join(", ");
    tr.append(text("td", d.decision_no), text("td", (v.name || "") + " (" + v.code + ")"),
              Object.assign(text("td", d.legal_basis_cited || d.legal_basis), { title: d.legal_basis || "" }),
              text("td", types + (p.amount_fen ? " " + money(p.amount_fen) : "")),
              Object.assign(text("td", d.decided_on), { className: "day" }),
              text("td", d.published_on + " " + d.publication_ref),
              text("td", d.unit_id), text("td", d.organisation || ""));
    return tr;
  }
  async function load(reset) {
    if (reset) { offset = 0; rows.replaceChildren(); }
    const params = new URLSearchParams({ ...query, offset: String(offset), limit: "50" });
    try {
      const res = await fetch("/v1/public/decisions?" + params);
      if (!res.ok) throw new Error(res.status);
      const page = await res.json();
      page.decisions.forEach((d) => rows.append(row(d)));
      more.hidden = page.next_offset == null;
      offset = page.next_offset || offset;
      status.textContent = rows.children.length ? "" : T[lang].none;
    } catch (e) {
      status.textContent = T[lang].error;
    }
  }
  function translate() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-zh]").forEach((el) => { el.textContent = el.dataset[lang]; });
    document.getElementById("lang").textContent = lang === "zh" ? "English" : "中文";
  }
  document.getElementById("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh"; translate(); load(true);
  });
  document.getElementById("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    query = {};
    new FormData(e.target).forEach((value, key) => { if (value) query[key] = value; });
    load(true);
  });
  more.addEventListener("click", () => load(false));
  load(true);
})();
