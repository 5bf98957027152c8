"""Downloads of results and microdata: CSV, XLSX, SPSS and Stata files.

The file formats and their media types live here, in the package's light ``__init__``:
pages that only name a format (the ranking's download links, a 404 for an unknown one)
need not load pandas, pyreadstat or openpyxl, which the writers bring."""

FORMATS = ("csv", "xlsx", "sav", "dta")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
