"""XLSForm workbooks written the way KoboToolbox, ODK and pyxform's examples write them."""

from __future__ import annotations

from openpyxl import Workbook


def workbook(path, survey: list[list], choices: list[list] | None = None, settings=None):
    """Sheets from rows (the first row of each is its header)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        sheet = book.create_sheet("choices")
        for row in choices:
            sheet.append(row)
    if settings is not None:
        sheet = book.create_sheet("settings")
        for row in settings:
            sheet.append(row)
    book.save(path)
    return path


VI, EN = "label::Tiếng Việt (vi)", "label::English (en)"

#: A PAR questionnaire as KoboToolbox's form builder exports it.
KOBO_SURVEY = [
    [
        "type",
        "name",
        VI,
        EN,
        "required",
        "relevant",
        "constraint",
        "hint::Tiếng Việt (vi)",
        "$kuid",
        "$autoname",
    ],
    ["start", "start", "", "", "", "", "", "", "a1", "start"],
    ["end", "end", "", "", "", "", "", "", "a2", "end"],
    ["deviceid", "deviceid", "", "", "", "", "", "", "a3", "deviceid"],
    [
        "note",
        "intro",
        "Cảm ơn Anh/Chị đã tham gia khảo sát.",
        "Thank you for taking part.",
        "",
        "",
        "",
        "",
        "a4",
        "intro",
    ],
    ["begin_group", "about", "Về Anh/Chị", "About you", "", "", "", "", "a5", "about"],
    [
        "select_one grp",
        "resp_group",
        "Anh/Chị thuộc nhóm nào?",
        "Which group are you in?",
        "true",
        "",
        "",
        "",
        "a6",
        "resp_group",
    ],
    ["select_one sex", "sex", "Giới tính", "Sex", "false", "", "", "", "a7", "sex"],
    [
        "integer",
        "age",
        "Tuổi",
        "Age",
        "false",
        "",
        ". >= 18 and . <= 99",
        "Tính theo năm",
        "a8",
        "age",
    ],
    ["end_group", "", "", "", "", "", "", "", "a9", ""],
    ["begin_group", "service", "Dịch vụ công", "Public service", "", "", "", "", "b1", ""],
    [
        "select_one satis",
        "Q01",
        "Mức độ hài lòng với thủ tục",
        "Satisfaction with procedures",
        "true",
        "",
        "",
        "",
        "b2",
        "Q01",
    ],
    [
        "select_one satis",
        "Q02",
        "Mức độ hài lòng với cán bộ",
        "Satisfaction with officials",
        "true",
        "",
        "",
        "",
        "b3",
        "Q02",
    ],
    [
        "select_multiple channel",
        "channels",
        "Anh/Chị nộp hồ sơ qua đâu?",
        "How did you apply?",
        "",
        "",
        "",
        "",
        "b4",
        "",
    ],
    ["date", "visited", "Ngày đến cơ quan", "Date of your visit", "", "", "", "", "b5", ""],
    [
        "decimal",
        "wait_hours",
        "Thời gian chờ (giờ)",
        "Waiting time (hours)",
        "",
        "",
        ". >= 0 and . <= 48",
        "",
        "b6",
        "",
    ],
    [
        "text",
        "comment",
        "Vì sao Anh/Chị chưa hài lòng?",
        "Why were you not satisfied?",
        "",
        "${Q01} <= 2",
        "",
        "",
        "b7",
        "",
    ],
    ["end_group", "", "", "", "", "", "", "", "b8", ""],
]
KOBO_CHOICES = [
    ["list_name", "name", VI, EN, "$kuid"],
    ["grp", "citizen", "Người dân", "Citizen", "c1"],
    ["grp", "business", "Doanh nghiệp", "Business", "c2"],
    ["sex", "female", "Nữ", "Female", "c3"],
    ["sex", "male", "Nam", "Male", "c4"],
    ["satis", 1, "Rất không hài lòng", "Very dissatisfied", "c5"],
    ["satis", 2, "Không hài lòng", "Dissatisfied", "c6"],
    ["satis", 3, "Bình thường", "Neutral", "c7"],
    ["satis", 4, "Hài lòng", "Satisfied", "c8"],
    ["satis", 5, "Rất hài lòng", "Very satisfied", "c9"],
    ["satis", 99, "Không biết", "Don't know", "c10"],
    ["channel", "office", "Tại bộ phận một cửa", "At the one-stop office", "c11"],
    ["channel", "online", "Dịch vụ công trực tuyến", "Online public service", "c12"],
    ["channel", "post", "Bưu điện", "By post", "c13"],
]
KOBO_SETTINGS = [
    ["form_title", "form_id", "version", "default_language", "groups", "missing_values"],
    [
        "Khảo sát sự hài lòng (PAR)",
        "PAR-KOBO-2026",
        "1 (2026-12-01)",
        "Tiếng Việt (vi)",
        "official",
        "99",
    ],
]


def kobo_form(path):
    return workbook(path, KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS)


def kobo_group_form(path, group_question="resp_group", sex_required="true"):
    """The Kobo form where the respondent says their group (``group_question``) and sex
    (required: a raking variable), without a groups column; Q02 is not asked of leaders."""
    survey = [list(row) for row in KOBO_SURVEY]
    for row in survey:
        if row[1] == "sex":
            row[4] = sex_required
        if row[1] == "Q02":
            row[5] = "${resp_group} != 'leader'"
    choices = [row for row in KOBO_CHOICES if row[0] != "grp"]
    choices[1:1] = [
        ["grp", "leader", "Lãnh đạo", "Leader", "g1"],
        ["grp", "official", "Công chức", "Official", "g2"],
        ["grp", "citizen", "Người dân", "Citizen", "g3"],
    ]
    settings = [
        ["form_title", "form_id", "default_language", "missing_values", "group_question"],
        ["Khảo sát theo nhóm", "PAR-KOBO-GROUP", "Tiếng Việt (vi)", "99", group_question],
    ]
    return workbook(path, survey, choices, settings)
