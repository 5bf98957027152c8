"""Downloads of results and microdata: CSV, XLSX, SPSS and Stata files."""
