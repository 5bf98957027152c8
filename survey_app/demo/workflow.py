"""This year's self-assessments part-way through the appraisal workflow.

Most units are appraised and final (imported with their appraised points, as the council's
file would be); the others go through the operations the pages use, each step written to
the audit trail under the account that would have taken it:

* C08 and V07 submitted their scores, with notes: waiting for round 1;
* C06 (a demo focal point's unit) had four scores lowered in round 1; it has answered one
  (giải trình), so that one waits for round 2, and three wait for its explanation;
* V03 (the other demo focal point's unit) has saved most of its scores as drafts and
  still has eight to enter.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict

from flask import current_app, g

from survey_app.accounts.models import User
from survey_app.assessments.appraisals import appraise, explain, set_bonus_penalty
from survey_app.assessments.evidence import DEFAULT_MAX_BYTES, add_evidence, evidence_folder
from survey_app.assessments.operations import (
    import_self_assessments,
    save_self_score,
    submit_self_assessment,
)
from survey_app.assessments.queries import criteria_set_of
from survey_app.demo.loader import demo_self_rows
from survey_app.formats.self_csv import SelfRow
from survey_app.rounds.models import Round

#: units whose submitted scores wait for round 1 of the appraisal
WAITING = ("C08", "V07")
#: the unit answering round 1's adjustments (its focal point has a demo account)
ANSWERING = "C06"
#: the unit still entering its scores (its focal point has a demo account)
ENTERING = "V03"
#: what V03 has not entered yet
NOT_ENTERED = ("5.1.3", "5.1.4", "6.1.1", "6.1.2", "6.1.3", "7.1.1", "7.1.2", "7.1.3")

#: round 1 for C06: sub-criterion → (points, the appraiser's reason); the rest is accepted
ADJUSTMENTS = {
    "1.1.2": (2.5, "Hồ sơ kèm theo chỉ chứng minh được 20/25 nhiệm vụ của kế hoạch đã hoàn thành."),
    "3.1.1": (
        3.5,
        "Số liệu trên Hệ thống một cửa điện tử cho thấy 94% hồ sơ đúng hạn, không phải 98,6%.",
    ),
    "5.1.3": (2.5, "Thiếu danh sách công chức đã được đào tạo, bồi dưỡng trong năm."),
    "7.1.2": (
        3.0,
        "Theo danh mục Bộ đã công bố, đơn vị có 3 dịch vụ công mức độ 3, chưa có mức độ 4.",
    ),
}
#: C06's explanation (giải trình) of one adjustment, with the file it adds
EXPLANATIONS = {
    "5.1.3": (
        "Đơn vị bổ sung danh sách 31 công chức đã hoàn thành các lớp bồi dưỡng năm 2018 "
        "(kèm theo). Đề nghị Hội đồng thẩm định xem xét giữ nguyên điểm tự đánh giá.",
        "Danh sách công chức được bồi dưỡng 2018.pdf",
    ),
}
#: the unit's note on each self-assessed sub-criterion
NOTES = {
    "1.1.1": "Kế hoạch CCHC năm 2018 ban hành ngày 18/01/2018.",
    "1.1.2": "Hoàn thành 23/25 nhiệm vụ; 2 nhiệm vụ chuyển sang quý I/2019.",
    "1.1.3": "Gửi đủ 4 báo cáo quý đúng hạn qua Hệ thống báo cáo của Bộ.",
    "1.1.4": "Đăng 12 tin, bài về CCHC trên Cổng thông tin điện tử của Bộ.",
    "2.1.1": "Chủ trì 3 thông tư theo kế hoạch, đã trình đúng hạn.",
    "2.1.2": "Kết quả rà soát đã được công bố theo quyết định của Bộ trưởng.",
    "2.1.3": "Báo cáo theo dõi thi hành pháp luật gửi Vụ Pháp chế đúng hạn.",
    "3.1.1": "98,6% hồ sơ giải quyết đúng hạn (1.412/1.432 hồ sơ).",
    "3.1.2": "100% thủ tục hành chính được công khai trên Cơ sở dữ liệu quốc gia.",
    "3.1.3": "Đề xuất đơn giản hóa 4 thủ tục; 3 đề xuất được chấp thuận.",
    "3.1.4": "Tiếp nhận 17 phản ánh, kiến nghị; đã xử lý xong cả 17.",
    "4.1.1": "Quyết định quy định chức năng, nhiệm vụ ban hành tháng 3/2018.",
    "4.1.2": "Giảm 2 biên chế so với năm 2015, đúng lộ trình tinh giản.",
    "4.1.3": "Ban hành quy chế phân cấp, ủy quyền ký văn bản trong đơn vị.",
    "5.1.1": "Đề án vị trí việc làm đã được Bộ phê duyệt.",
    "5.1.2": "Tuyển dụng 3 công chức qua thi tuyển, đúng quy định.",
    "5.1.3": "31/34 công chức được đào tạo, bồi dưỡng theo kế hoạch.",
    "5.1.4": "Không có công chức bị kỷ luật trong năm.",
    "6.1.1": "Giải ngân 96% dự toán được giao.",
    "6.1.2": "Quy chế chi tiêu nội bộ sửa đổi, ban hành tháng 2/2018.",
    "6.1.3": "Công khai dự toán và quyết toán trên trang thông tin của đơn vị.",
    "7.1.1": "97% văn bản đi được ký số và gửi trên môi trường điện tử.",
    "7.1.2": "5 dịch vụ công mức độ 3 và 2 dịch vụ công mức độ 4.",
    "7.1.3": "Duy trì hệ thống quản lý chất lượng theo TCVN ISO 9001:2008.",
}
#: evidence files the focal point attaches before submitting: sub-criterion → file name
#: (C08 and V07 have no demo focal point, hence notes but no files: a file needs its uploader)
EVIDENCE = {
    "1.1.1": "Kế hoạch CCHC năm 2018.pdf",
    "3.1.1": "Báo cáo kết quả giải quyết hồ sơ năm 2018.pdf",
}
#: the council's bonus and penalty for two of the final units: (unit, bonus, penalty, reason)
BONUS_PENALTY = (
    ("C02", 1.0, 0.0, "Sáng kiến cải cách hành chính được Bộ công nhận năm 2018."),
    ("V09", 0.0, 0.5, "Chậm gửi báo cáo CCHC quý III."),
)


@contextlib.contextmanager
def acting_as(user: User | None):
    """Operations write their audit entries as the signed-in user (``g.user`` of a
    request); the demo signs in no one, so it stands in the user who would have acted."""
    with current_app.test_request_context():
        g.user = user
        try:
            yield
        finally:
            g.pop("user", None)


def load_workflow(rnd: Round, users: dict[str, User]) -> None:
    """Every unit's scores in its state of the story (see the module's docstring)."""
    rows: dict[str, list[SelfRow]] = defaultdict(list)
    for row in demo_self_rows(rnd):
        rows[row.unit].append(row)
    units = {u.code: u for u in rnd.units}
    later = {*WAITING, ANSWERING, ENTERING}
    import_self_assessments(rnd, [r for code, rs in rows.items() if code not in later for r in rs])
    for code in WAITING:
        _submit(rnd, units[code], rows[code], None)
    _answering(rnd, units[ANSWERING], rows[ANSWERING], users)
    _entering(rnd, units[ENTERING], rows[ENTERING], users.get(f"focal:{ENTERING}"))
    with acting_as(users.get("appraiser")):
        for code, bonus, penalty, reason in BONUS_PENALTY:
            unit = units[code]
            cs = criteria_set_of(rnd, unit)
            set_bonus_penalty(
                rnd,
                unit,
                cs,
                bonus,
                reason if bonus else None,
                penalty,
                reason if penalty else None,
            )


def _answering(rnd: Round, unit, rows: list[SelfRow], users: dict[str, User]) -> None:
    """Submitted; round 1 accepts most scores and lowers four; the unit explains one."""
    focal, appraiser = users.get(f"focal:{unit.code}"), users["appraiser"]
    scores = _submit(rnd, unit, rows, focal)
    with acting_as(appraiser):
        for code, sa in scores.items():
            points, reason = ADJUSTMENTS.get(code, (sa.self_points, None))
            appraise(sa, points, reason, appraiser)
    with acting_as(focal):
        for code, (text, filename) in EXPLANATIONS.items():
            explain(scores[code], text, focal)
            _attach(rnd, scores[code], filename, focal)


def _entering(rnd: Round, unit, rows: list[SelfRow], focal: User | None) -> None:
    """Drafts of the scores entered so far; :data:`NOT_ENTERED` are still empty."""
    with acting_as(focal):
        for row in rows:
            if row.subcriterion not in NOT_ENTERED:
                sub = _sub(rnd, unit, row)
                save_self_score(rnd, unit, sub, row.self_points, NOTES.get(row.subcriterion))


def _sub(rnd: Round, unit, row: SelfRow):
    cs = criteria_set_of(rnd, unit)
    return next(s for s in cs.subcriteria() if s.code == row.subcriterion)


def _submit(rnd: Round, unit, rows: list[SelfRow], focal: User | None) -> dict:
    """Drafts with notes and evidence, then the submission; sub-criterion code → score."""
    scores = {}
    with acting_as(focal):
        for row in rows:
            sa = save_self_score(
                rnd, unit, _sub(rnd, unit, row), row.self_points, NOTES.get(row.subcriterion)
            )
            scores[row.subcriterion] = sa
            if row.subcriterion in EVIDENCE and focal is not None:
                _attach(rnd, sa, EVIDENCE[row.subcriterion], focal)
        cs = criteria_set_of(rnd, unit)
        submit_self_assessment(rnd, unit, [s for s in cs.subcriteria() if s.source == "self"])
    return scores


def _attach(rnd: Round, sa, filename: str, user: User | None) -> None:
    add_evidence(
        sa,
        rnd,
        filename,
        io.BytesIO(evidence_pdf(filename)),
        evidence_folder(),
        user,
        DEFAULT_MAX_BYTES,
    )


def evidence_pdf(title: str) -> bytes:
    """A one-page PDF naming the document it stands for (ASCII: the standard fonts have no
    Vietnamese letters; the Vietnamese name is the file's)."""
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).replace("đ", "d").replace("Đ", "D")
    ascii_title = (
        "".join(ch for ch in ascii_title if ord(ch) < 128).replace("(", "").replace(")", "")
    )
    text = f"BT /F1 14 Tf 72 770 Td (ParIndex demo: {ascii_title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
