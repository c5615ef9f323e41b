// Oversight views (docs/oversight.md): supervision notices (督办反馈), warning levels (监督警示),
// the integrity-based assessment (定考) and a case's publication status (公示). Every call goes
// through api() with the signed-in token, so the API's access rules (roles, unit scoping) apply
// unchanged. Strings live in the one zh/en dictionary in app.js.
import { api, caseLink, citations, failure, flagSummary, h, kv, loading, officerLink, ruleName, s, sevBadge,
  show, t, typeName, unitLink, when, withheld } from "./app.js";

const LEVELS = ["none", "attention", "warning", "serious"];
const SUPERVISION_STATUSES = ["open", "overdue", "answered", "returned", "closed"];
const COMPONENTS = ["timeliness", "evidence", "complaints", "pledge"];
const day = (text) => (text ? String(text).slice(0, 10) : "—");

// ---------------------------------------------------------------------------------------------
// Small shared pieces
const levelBadge = (level, id) => h("span", { class: `badge lvl-${level}`, id, dataset: { level } },
  t(`lvl.${level}`));
const supBadge = (status) => h("span", { class: `badge sup-${status}`, dataset: { status } }, t(`sup.status.${status}`));
const permille = (v) => (v === null || v === undefined ? t("asmt.na") : `${(v / 10).toFixed(1)}%`);

/** A red flag named by id, linked to what it is about: its case (with the flag in focus) and its
 * officer when ``index`` (flag id → flag) knows it; otherwise to the queue of its rule. */
function flagRef(id, index, unit) {
  const f = index.get(id);
  const rule = id.split("-")[0];
  if (f && (f.subject.case_id || f.subject.officer_id)) {
    return h("span", { class: "flag-ref", dataset: { flagId: id } }, h("span", { class: "mono" }, `${rule} `),
      f.subject.case_id ? caseLink(f.subject.case_id, id) : null,
      f.subject.case_id && f.subject.officer_id ? " · " : null,
      f.subject.officer_id ? officerLink(f.subject.officer_id) : null);
  }
  const q = new URLSearchParams({ rule: rule.split(".")[0], rule_id: rule });
  if (unit) q.set("unit", unit);
  return h("a", { class: "mono flag-ref", href: `#/queue?${q}`, dataset: { flagId: id } }, id);
}

const byId = (flags) => new Map((flags || []).map((f) => [f.flag_id, f]));

/** Load ``loader()`` into a holder element, showing progress and any error in place, so one
 * failing oversight call never blanks the page around it. */
function section(id, loader) {
  const holder = h("div", { id }, loading());
  loader().then((nodes) => holder.replaceChildren(...[nodes].flat(Infinity).filter(Boolean)))
    .catch((e) => { if (e.status !== 401) holder.replaceChildren(failure(e)); });
  return holder;
}

// ---------------------------------------------------------------------------------------------
// Page: supervision notices (#/supervision?unit=&status=)
export async function pageSupervision(params) {
  const units = await api("/v1/units").catch(() => ({ units: [] }));
  const select = (name, values, label) => h("label", {}, t(label),
    h("select", { name, id: `sup-${name}` }, h("option", { value: "" }, t("f.any")),
      values.map(([v, text]) => h("option", { value: v, selected: params.get(name) === v }, text))));
  const form = h("form", { class: "filters", id: "supervision-filters" },
    select("unit", units.units.map((u) => [u.unit_id, u.unit_id]), "f.unit"),
    select("status", SUPERVISION_STATUSES.map((v) => [v, t(`sup.status.${v}`)]), "f.status"));
  form.addEventListener("change", () => {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
    location.hash = `#/supervision${q.toString() ? `?${q}` : ""}`;
  });
  const tbody = h("tbody", {});
  const more = h("button", { class: "secondary", type: "button", id: "supervision-more", hidden: true }, t("queue.more"));
  const note = h("span", { class: "small muted", id: "supervision-count" });
  let count = 0, next = null;
  async function load(offset) {
    const q = new URLSearchParams({ limit: "50", offset: String(offset) });
    for (const name of ["unit", "status"]) if (params.get(name)) q.set(name, params.get(name));
    const page = await api(`/v1/supervision?${q}`);
    tbody.append(...page.notices.map(noticeRow));
    count += page.notices.length;
    if (!count) tbody.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "muted" }, t("sup.empty"))));
    next = page.next_offset;
    more.hidden = next === null || next === undefined;
    note.textContent = `${t("queue.count", { n: count })} · ${t("sup.asof", { day: page.as_of })}`;
  }
  more.addEventListener("click", () => load(next));
  show(h("h1", {}, t("sup.title")), h("p", { class: "small muted" }, t("sup.help")), form,
    h("table", { id: "supervision-table" }, h("thead", {}, h("tr", {},
      ["sup.notice", "f.unit", "sup.issued", "sup.respond_by", "col.status", "sup.issues", "sup.feedback"]
        .map((k) => h("th", {}, t(k))))), tbody),
    h("div", { class: "toolbar" }, more, note));
  await load(0);
}

function noticeRow(n) {
  return h("tr", { class: "notice-row", dataset: { noticeId: n.notice_id, status: n.status } },
    h("td", {}, h("a", { href: `#/supervision/${encodeURIComponent(n.notice_id)}`, class: "mono" }, n.notice_id)),
    h("td", {}, unitLink(n.unit_id)), h("td", {}, n.issued_on || "—"), h("td", {}, n.respond_by || "—"),
    h("td", {}, supBadge(n.status)), h("td", { class: "num" }, (n.issues || []).length),
    h("td", { class: "num" }, (n.feedback || []).length));
}

// ---------------------------------------------------------------------------------------------
// Page: one supervision notice (#/supervision/ID)
export async function pageNotice(id) {
  show(loading());
  const n = await api(`/v1/supervision/${encodeURIComponent(id)}`);
  const needsFlags = (n.issues || []).some((i) => i.flag_id);
  const index = byId(needsFlags ? (await api(`/v1/flags?${new URLSearchParams({ unit: n.unit_id, limit: "500" })}`)
    .catch(() => ({ flags: [] }))).flags : []);
  show(h("h1", {}, `${t("sup.notice")} ${id} `, supBadge(n.status)),
    kv([[t("f.unit"), unitLink(n.unit_id)], [t("sup.issued_by"), n.issued_by], [t("sup.issued"), n.issued_on],
      [t("sup.respond_by"), h("span", { id: "notice-respond-by" }, n.respond_by || "—")],
      [t("col.status"), h("span", { id: "notice-status", dataset: { status: n.status } }, t(`sup.status.${n.status}`),
        h("span", { class: "small muted" }, ` (${t("sup.asof", { day: n.as_of })})`))],
      [t("sup.closed_on"), n.closed_on || "—"]]),
    h("h2", {}, t("sup.issues")),
    h("table", { id: "notice-issues" }, h("tr", {}, ["#", "sup.description", "f.case", "f.officer", "sup.flag"].map((k) => h("th", {}, t(k)))),
      (n.issues || []).map((i) => h("tr", { class: "issue-row", dataset: { issueId: i.issue_id } },
        h("td", { class: "mono" }, i.issue_id), h("td", {}, i.description),
        h("td", {}, i.case_id ? caseLink(i.case_id, i.flag_id) : "—"), h("td", {}, i.officer_id ? officerLink(i.officer_id) : "—"),
        h("td", {}, i.flag_id ? flagRef(i.flag_id, index, n.unit_id) : "—")))),
    h("h2", {}, t("sup.feedback_history")),
    h("div", { id: "notice-feedback" }, (n.feedback || []).length ? n.feedback.map((f, k) => feedbackCard(f, k, n.issues || []))
      : h("p", { class: "muted" }, t("sup.no_feedback"))),
    (n.out_of_order || []).length ? [h("h2", {}, t("sup.out_of_order")),
      h("ul", { id: "notice-out-of-order", class: "small" }, n.out_of_order.map((o) =>
        h("li", {}, `${typeName(o.type)}: ${o.why} `, h("span", { class: "mono muted" }, o.event_id))))] : null,
    h("h2", {}, t("sup.flags")),
    (n.flags || []).length ? h("table", { id: "notice-flags" }, n.flags.map((f) => h("tr", { class: "flag-row", dataset: { flagId: f.flag_id, ruleId: f.rule_id } },
      h("td", { class: "mono nowrap" }, f.rule_id), h("td", {}, ruleName(f.name)), h("td", {}, sevBadge(f.severity)),
      h("td", { class: "small flag-summary" }, flagSummary(f)), h("td", { class: "small" }, citations(f.legal_basis)),
      h("td", {}, h("div", {}, t(`disp.${f.disposition}`)), h("div", { class: "small muted" }, t(`status.${f.status}`))))))
      : h("p", { class: "muted", id: "notice-flags-none" }, t("sup.no_flags")),
    h("p", { class: "small muted mono" }, `supervision:${id} · ${(n.events || []).length} ${t("sup.events")}`));
}

function feedbackCard(f, k, issues) {
  const description = new Map(issues.map((i) => [i.issue_id, i.description]));
  const r = f.review;
  return h("div", { class: "card feedback-card", dataset: { late: String(f.late), review: r ? r.result : "pending" } },
    h("div", { class: "toolbar" }, h("strong", {}, `#${k + 1}`), `${t("sup.submitted")} ${f.submitted_on}`,
      officerLink(f.submitted_by),
      f.late ? h("span", { class: "badge sup-overdue" }, t("sup.late")) : h("span", { class: "st st-ok" }, t("sup.on_time"))),
    h("table", { class: "small" }, h("tr", {}, ["#", "sup.description", "sup.action", "col.status"].map((x) => h("th", {}, t(x)))),
      f.responses.map((x) => h("tr", {}, h("td", { class: "mono" }, x.issue_id), h("td", {}, description.get(x.issue_id) || "—"),
        h("td", {}, x.action), h("td", {}, t(`sup.resp.${x.status}`))))),
    h("div", { class: "small muted mono" }, `${t("ev.sha")}: ${f.document_sha256}`),
    h("p", { class: "review" }, h("span", { class: "muted" }, `${t("sup.review")}: `),
      r ? [h("span", { class: `st ${r.result === "accepted" ? "st-ok" : "st-bad"}` }, t(`sup.result.${r.result}`)),
        ` · ${r.reviewed_by} · ${r.reviewed_on}`, r.comment ? ` · ${r.comment}` : ""]
        : h("span", { class: "st st-pending" }, t("sup.awaiting_review"))));
}

// ---------------------------------------------------------------------------------------------
// Warning levels (监督警示): officer and unit pages
/** The warning-level card of an officer or unit. ``flags`` (optional) are the flags the page
 * already holds, to link each reason to its case and officer; a unit page passes none and the
 * unit's flags are read only if a reason names one. */
export function warningsCard(kind, id, flags) {
  return h("div", { class: "card", id: "warnings-card" }, h("h2", {}, t("lvl.title")),
    section("warnings", async () => {
      const w = await api(`/v1/${kind}s/${encodeURIComponent(id)}/warnings`);
      const named = [...w.reasons, ...w.history.flatMap((x) => x.reasons), ...(w.formal_warnings || []).map((x) => ({ source: "fw", ids: x.flag_ids }))];
      let index = byId(flags);
      if (!flags && named.some((r) => r.flag_id || (r.ids && r.ids.length))) {
        index = byId((await api(`/v1/flags?${new URLSearchParams({ unit: id, limit: "500" })}`).catch(() => ({ flags: [] }))).flags);
      }
      const unit = kind === "unit" ? id : null;
      return [
        h("div", { class: "toolbar" }, levelBadge(w.level, "warning-level"),
          h("strong", { id: "warning-points" }, t("lvl.points", { n: w.points })),
          h("span", { class: "small muted" }, `${t("lvl.evaluated")} ${when(w.evaluated_at)} · ${w.params_version || "—"}`)),
        h("p", { class: "small muted" }, t("lvl.help")),
        reasonsList(w.reasons, index, unit, "warning-reasons"),
        h("h3", {}, t("lvl.history")), levelChart(w.history, w),
        kind === "officer" ? [h("h3", {}, t("lvl.formal")), formalWarnings(w.formal_warnings || [], index)] : null,
      ];
    }));
}

function reasonsList(reasons, index, unit, id) {
  if (!reasons.length) return h("p", { class: "muted", id }, t("lvl.no_reasons"));
  return h("ul", { id, class: "reasons" }, reasons.map((r) => {
    if (r.source === "threshold") {
      return h("li", { class: "reason", dataset: { source: r.source } },
        t("lvl.threshold", { level: t(`lvl.${r.level}`), min: r.min_points, n: r.points }));
    }
    if (r.source === "flag") {
      return h("li", { class: "reason", dataset: { source: r.source, flagId: r.flag_id } }, flagRef(r.flag_id, index, unit), " ",
        sevBadge(r.severity), ` ${t(`disp.${r.state === "confirmed" ? "confirmed" : "open"}`)} · `,
        h("strong", {}, t("lvl.points", { n: r.points })),
        h("span", { class: "small muted" }, ` · ${t("lvl.counts")} ${day(r.raised_at)} – ${day(r.counts_until)}`));
    }
    if (r.source === "formal_warning") {
      return h("li", { class: "reason", dataset: { source: r.source } }, `${t(`fw.${r.kind}`)} `,
        h("span", { class: "mono small" }, r.warning_id), " ", r.officer_id ? officerLink(r.officer_id) : null, " · ",
        h("strong", {}, t("lvl.points", { n: r.points })),
        h("span", { class: "small muted" }, ` · ${t("lvl.counts")} ${day(r.issued_at)} – ${day(r.counts_until)}`));
    }
    return h("li", { class: "reason small muted", dataset: { source: r.source } }, t("lvl.more", { n: r.items, p: r.points }));
  }));
}

/** The level over time as a step chart: one row per level, a step at each change, the last
 * level carried to now. */
function levelChart(history, current) {
  if (!history.length) return h("p", { class: "muted", id: "level-history-none" }, t("lvl.never"));
  const W = 1100, L = 90, R = 20, top = 14, rowH = 26, H = top + rowH * 3 + 34;
  const points = history.map((x) => ({ ...x, t: Date.parse(x.from) }));
  const t0 = points[0].t;
  const t1 = Math.max(Date.now(), points[points.length - 1].t + 1);
  const x = (v) => L + ((v - t0) / (t1 - t0)) * (W - L - R);
  const y = (level) => top + (3 - LEVELS.indexOf(level)) * rowH;
  const svg = s("svg", { id: "level-history", viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "aria-label": t("lvl.history") });
  for (const level of LEVELS) {
    svg.append(s("line", { class: "axis", x1: L, x2: W - R, y1: y(level), y2: y(level), stroke: "#eef1f6", "stroke-dasharray": "2,3" }),
      s("text", { x: L - 8, y: y(level) + 4, "text-anchor": "end" }, t(`lvl.${level}`)));
  }
  let d = "";
  points.forEach((p, i) => {
    const end = i + 1 < points.length ? points[i + 1].t : t1;
    d += `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.level)} L${x(end).toFixed(1)},${y(p.level)} `;
  });
  svg.append(s("path", { class: "step", d, fill: "none", stroke: "#1f5fbf", "stroke-width": 2 }));
  for (const p of points) {
    svg.append(s("circle", { class: `lvl-pt lvl-${p.level}`, cx: x(p.t), cy: y(p.level), r: 4, dataset: { level: p.level, from: p.from } },
      s("title", {}, `${when(p.from)} · ${t(`lvl.${p.level}`)} · ${t("lvl.points", { n: p.points })}`)));
  }
  const months = new Set();
  for (let m = new Date(t0); m.getTime() <= t1; m = new Date(m.getFullYear(), m.getMonth() + 1, 1)) months.add(m.getTime());
  const step = Math.max(1, Math.ceil(months.size / 12));
  [...months].forEach((m, i) => {
    if (i % step || m < t0 || x(m) > W - R - 150) return;      // keep clear of the "now" label
    svg.append(s("text", { x: x(m), y: H - 8 }, new Date(m).toISOString().slice(0, 7)));
  });
  svg.append(s("text", { x: W - R, y: H - 8, "text-anchor": "end" }, `${t("lvl.now")}: ${t(`lvl.${current.level}`)}`));
  return [svg, h("details", { class: "small" }, h("summary", {}, t("lvl.changes", { n: history.length })),
    h("table", { id: "level-history-table" }, h("tr", {}, ["lvl.from", "lvl.title", "lvl.points_col"].map((k) => h("th", {}, t(k)))),
      history.map((x) => h("tr", {}, h("td", {}, when(x.from)), h("td", {}, levelBadge(x.level)), h("td", { class: "num" }, x.points)))))];
}

function formalWarnings(list, index) {
  if (!list.length) return h("p", { class: "muted", id: "formal-warnings-none" }, t("fw.none"));
  return h("table", { id: "formal-warnings" }, h("tr", {}, ["fw.kind", "fw.issued", "fw.by", "fw.reason", "sup.flag", "sup.notice"].map((k) => h("th", {}, t(k)))),
    list.map((w) => h("tr", { class: "formal-warning", dataset: { warningId: w.warning_id } },
      h("td", {}, t(`fw.${w.kind}`), h("div", { class: "small muted mono" }, w.warning_id)), h("td", {}, when(w.issued_at)),
      h("td", {}, w.issued_by), h("td", {}, w.reason),
      // a flag or notice of another unit, for a unit-scoped token: {"source": "other_units", "count": n}
      h("td", {}, (w.flag_ids || []).map((f) => h("div", {}, withheld(f) ? t("other_units", { n: f.count }) : flagRef(f, index, w.unit_id)))),
      h("td", {}, withheld(w.notice_id) ? t("other_units", { n: w.notice_id.count })
        : w.notice_id ? h("a", { href: `#/supervision/${encodeURIComponent(w.notice_id)}`, class: "mono" }, w.notice_id) : "—"))));
}

// ---------------------------------------------------------------------------------------------
// Assessment (定考): officer and unit pages
const quarterOf = (d) => `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`;
const chinaToday = () => new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10);

/** Quarters and months from the earliest of ``days`` (at most 12 quarters back) to the current
 * quarter, newest first, and the default: the latest quarter holding one of ``days``, else the
 * current quarter. */
function periods(days) {
  const today = chinaToday();
  const known = days.filter(Boolean).map((d) => d.slice(0, 10)).filter((d) => d <= today).sort();
  const current = quarterOf(today);
  const latest = known.length ? quarterOf(known[known.length - 1]) : current;
  const quarters = [];
  let [yy, qq] = [Number(current.slice(0, 4)), Number(current.slice(6))];
  const first = known.length ? quarterOf(known[0]) : latest;
  while (quarters.length < 12) {
    const id = `${yy}-Q${qq}`;
    quarters.push(id);
    if (id <= first && id <= latest) break;
    [yy, qq] = qq === 1 ? [yy - 1, 4] : [yy, qq - 1];
  }
  const months = quarters.flatMap((q) => {
    const base = 3 * Number(q.slice(6)) - 2;
    return [2, 1, 0].map((k) => `${q.slice(0, 4)}-${String(base + k).padStart(2, "0")}`);
  }).filter((m) => m <= today.slice(0, 7));
  return { quarters, months, selected: quarters.includes(latest) ? latest : quarters[0] };
}

export function assessmentCard(kind, id, days) {
  const { quarters, months, selected: fallback } = periods(days);
  // the period is kept in the URL (?period=2025-07, replaced, not pushed), so a reload, Back and
  // a shared link show the period chosen; one the picker does not offer gives the default
  const [path, query] = location.hash.split("?");
  const asked = new URLSearchParams(query || "").get("period");
  const selected = asked && (quarters.includes(asked) || months.includes(asked)) ? asked : fallback;
  const label = (p) => (p.includes("Q") ? t("asmt.quarter", { y: p.slice(0, 4), q: p.slice(6) }) : p);
  const select = h("select", { id: "assessment-period", name: "period" },
    h("optgroup", { label: t("asmt.quarters") }, quarters.map((p) => h("option", { value: p, selected: p === selected }, label(p)))),
    h("optgroup", { label: t("asmt.months") }, months.map((p) => h("option", { value: p, selected: p === selected }, label(p)))));
  const body = h("div", { id: "assessment", dataset: { period: "" } });
  let latestLoad = 0;
  async function load() {
    const ticket = ++latestLoad;          // only the newest choice may fill the card
    body.dataset.loading = "true";
    body.replaceChildren(loading());
    try {
      const a = await api(`/v1/${kind}s/${encodeURIComponent(id)}/assessment?period=${encodeURIComponent(select.value)}`);
      if (ticket !== latestLoad) return;
      body.replaceChildren(...assessment(a));
      body.dataset.period = a.period.id;
      body.dataset.score = String(a.score.value);
    } catch (e) {
      if (ticket === latestLoad && e.status !== 401) body.replaceChildren(failure(e));
    } finally { if (ticket === latestLoad) delete body.dataset.loading; }
  }
  select.addEventListener("change", () => {
    const q = new URLSearchParams(query || "");
    q.set("period", select.value);
    history.replaceState(null, "", `${path}?${q}`);
    load();
  });
  load();
  return h("div", { class: "card", id: "assessment-card" }, h("h2", {}, t("asmt.title")),
    h("div", { class: "toolbar" }, h("label", { class: "small" }, `${t("asmt.period")} `, select),
      h("span", { class: "small muted" }, t("asmt.help"))),
    h("p", { class: "notice small", id: "assessment-no-fines" }, t("asmt.nofines")), body);
}

function assessment(a) {
  const sc = a.score;
  const detail = {
    timeliness: t("asmt.d.timeliness", { a: a.timeliness.cases_on_time, b: a.timeliness.cases_judged,
      met: a.timeliness.deadlines.met_on_time, late: a.timeliness.deadlines.late, missed: a.timeliness.deadlines.missed }),
    evidence: t("asmt.d.evidence", { a: a.evidence.with_prior_evidence, b: a.evidence.decisions }),
    complaints: t("asmt.d.complaints", { a: a.complaints.handled_on_time, b: a.complaints.received - a.complaints.pending, s: a.complaints.substantiated }),
    pledge: t("asmt.d.pledge", { a: a.pledge.covered, b: a.pledge.officers }),
  };
  const sevs = ["critical", "high", "medium", "low"];
  return [
    h("div", { class: "toolbar" }, h("span", { class: "score", id: "assessment-score", dataset: { score: sc.value } }, String(sc.value)),
      h("span", { class: "muted" }, "/ 100"),
      h("span", { class: "small", id: "assessment-formula" }, t("asmt.formula", { q: Math.floor(sc.quality_milli / 10), f: sc.flag_penalty, c: sc.complaint_penalty, v: sc.value }))),
    h("table", { id: "assessment-components" }, h("tr", {}, ["asmt.component", "asmt.weight", "asmt.share", "asmt.detail"].map((k) => h("th", {}, t(k)))),
      COMPONENTS.map((c) => h("tr", { dataset: { component: c } }, h("td", {}, t(`asmt.c.${c}`)), h("td", { class: "num" }, sc.weights[c]),
        h("td", { class: "num" }, permille(a[c].share_milli)), h("td", { class: "small" }, detail[c])))),
    h("h3", {}, t("asmt.flags")),
    h("table", { id: "assessment-flags", class: "small" }, h("tr", {}, h("th", {}, ""), sevs.map((v) => h("th", {}, sevBadge(v)))),
      ["raised", "open", "confirmed", "dismissed", "cleared"].map((k) => h("tr", {}, h("td", {}, t(`asmt.f.${k}`)),
        sevs.map((v) => h("td", { class: "num" }, a.flags[k][v]))))),
    h("p", { class: "small muted" }, `${a.method} · ${a.period.from} – ${a.period.until} · ${t("asmt.as_of")} ${a.as_of} · ${a.basis.join("；")}`),
  ];
}

// ---------------------------------------------------------------------------------------------
// Publication (公示): a line on the case page
/** The case's publication status from its trail (DecisionPublished / DecisionPublicationWithdrawn)
 * and read model, or null when the case has nothing to publish. */
export function publicationLine(state, events) {
  const acts = events.filter((e) => e.type === "DecisionPublished" || e.type === "DecisionPublicationWithdrawn");
  const due = (state.deadlines || {}).publication;
  if (!acts.length && !due) return null;                 // nothing to publish (e.g. summary procedure)
  const link = h("a", { href: "/public/", id: "case-publication-link" }, t("pub.page"));
  const parts = acts.map((e) => e.type === "DecisionPublished"
    ? t("pub.published", { day: day(e.occurred_at), ref: e.body.publication_ref, channel: t(`pub.ch.${e.body.channel}`) })
    : t("pub.withdrawn", { day: day(e.occurred_at), ref: e.body.publication_ref, reason: t(`pub.why.${e.body.reason}`) }));
  if (!acts.length) parts.push(due && due.due ? t("pub.pending", { day: due.due }) : t("pub.none"));
  const status = acts.length ? (acts[acts.length - 1].type === "DecisionPublished" ? "published" : "withdrawn") : "unpublished";
  return h("p", { id: "case-publication", class: "small", dataset: { status } },
    h("span", { class: "muted" }, `${t("pub.title")}: `), parts.join("；"), " · ", link);
}
