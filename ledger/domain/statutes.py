"""The statutes the ledger cites, by the codes it cites them with (``SH_SRHW 第25条``): the
vocabulary's legal bases, the deadlines, the red flags' legal basis, the fine schedule. The
codes are red_flags.yaml's (``meta.primary_sources``); a reader who does not know them reads the
title here (docs/events.md, "Statutes cited"; the public disclosure page writes each decision's
basis with its statute's title, as a citizen reads it).
"""

from __future__ import annotations

import re

#: code -> (the title in Chinese, as the statute is cited: 《title》第N条; an English title)
STATUTES: dict[str, tuple[str, str]] = {
    "APL": ("中华人民共和国行政处罚法",
            "Administrative Penalty Law of the People's Republic of China (2021 revision)"),
    "MOHURD55": ("住房和城乡建设行政处罚程序规定",
                 "Provisions on Administrative Penalty Procedures for Housing and Urban-Rural "
                 "Development (Ministry order No. 55, 2022)"),
    "GBF2018_118": ("国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核"
                    "制度的指导意见",
                    "State Council General Office guidance on enforcement publicity, "
                    "whole-process recording and legal review of major decisions (Guobanfa "
                    "[2018] No. 118)"),
    "GBF2022_27": ("国务院办公厅关于进一步规范行政裁量权基准制定和管理工作的意见",
                   "State Council General Office opinions on administrative discretion benchmarks "
                   "(Guobanfa [2022] No. 27)"),
    "ZWCF": ("中华人民共和国公职人员政务处分法",
             "Law of the People's Republic of China on Administrative Discipline for Public "
             "Officials (2020)"),
    "SZLX": ("违反行政事业性收费和罚没收入收支两条线管理规定行政处分暂行规定",
             "Interim provisions on sanctions for breaching the separation of fines and "
             "confiscations from spending (2000)"),
    "XFGZ": ("信访工作条例", "Regulations on Letters and Visits Work (2022)"),
    "SRHW_NATIONAL": ("城市市容和环境卫生管理条例",
                      "Regulations on City Appearance and Environmental Sanitation (2017 "
                      "revision)"),
    "CSDL": ("城市道路管理条例", "Regulations on Urban Roads (2019 revision)"),
    "SH_SRHW": ("上海市市容环境卫生管理条例",
                "Shanghai Regulations on City Appearance and Environmental Sanitation (2018 "
                "amendment)"),
    "BJ_SRHW": ("北京市市容环境卫生条例",
                "Beijing Regulations on City Appearance and Environmental Sanitation (2021 "
                "amendment)"),
    "SH_LJ": ("上海市生活垃圾管理条例", "Shanghai Regulations on Household Waste (2019)"),
    "BJ_LJ": ("北京市生活垃圾管理条例", "Beijing Regulations on Household Waste (2020 amendment)"),
    "ZJ_ZHZF": ("浙江省综合行政执法条例",
                "Zhejiang Regulations on Comprehensive Administrative Law Enforcement (2021)"),
}

# A code standing alone (not inside a longer name: GBF2018_118's "GBF2018_1" is no code), and
# the space between it and the article that follows
_CODE = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(STATUTES, key=len, reverse=True))
                   + r")(?![A-Za-z0-9_]) ?")


def cited(basis: str) -> str:
    """``basis`` with each statute code written as its title, as a reader in China cites it:
    ``SH_SRHW 第25条`` → ``《上海市市容环境卫生管理条例》第25条``; text that names no known
    code is returned as it is (a city's own citation)."""
    return _CODE.sub(lambda m: f"《{STATUTES[m.group(1)][0]}》", basis)
