"""Derive survey_2k_designs.csv from survey_2k_fpc.csv: the edge cases of the fpc references.

Adds, deterministically: ``ssu`` (respondents grouped in up to three SSUs per PSU; the
first PSU has a single SSU, a lonely PSU at stage 2) with ``ssu_pop`` (SSUs in the PSU);
``psu_frac`` (stage-1 sampling fraction n_h/N_h: R's fraction form of ``psu_pop``);
``stratum2`` (the last PSU of S2 alone in stratum S9: a lonely PSU at stage 1) with
``psu_pop2`` (S3 is self-representing, N_h = n_h); ``domain`` (``unit``, except the rows
of one PSU form the domain ``D_ONE_PSU``). Run: python make_designs_csv.py (from here).
"""

import csv
from collections import defaultdict

with open("survey_2k_fpc.csv", encoding="utf-8", newline="") as fh:
    rows = list(csv.DictReader(fh))
psus = defaultdict(list)
for r in rows:
    psus[(r["stratum"], r["psu"])].append(r)
order = sorted(psus)
first = order[0]
lonely = max(k for k in order if k[0] == "S2")
one_psu_domain = order[len(order) // 2]
strata_psus = defaultdict(set)
for s, p in order:
    strata_psus["S9" if (s, p) == lonely else s].add(p)
for k, members in psus.items():
    n_ssu = 1 if k == first else min(3, len(members))
    for r in members:
        r["ssu"] = "A" if k == first else "ABC"[int(r["respondent_id"]) % n_ssu]
    used = len({r["ssu"] for r in members})
    for r in members:
        r["ssu_pop"] = str(4 if k == first else used * 2 + int(r["psu"][1:]) % 3)

for r in rows:
    k = (r["stratum"], r["psu"])
    s2 = "S9" if k == lonely else r["stratum"]
    r["stratum2"] = s2
    n_h = len(strata_psus[s2])
    r["psu_pop2"] = str(n_h if s2 == "S3" else (3 if s2 == "S9" else int(r["psu_pop"])))
    n_h1 = len({p for s, p in order if s == r["stratum"]})
    r["psu_frac"] = repr(n_h1 / int(r["psu_pop"]))
    r["domain"] = "D_ONE_PSU" if k == one_psu_domain else r["unit"]
with open("survey_2k_designs.csv", "w", encoding="utf-8", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
