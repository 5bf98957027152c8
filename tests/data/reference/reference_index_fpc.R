# R's figures for the index's survey part with a frame (docs/ESTIMATORS.md (h)):
# element sampling within strata with the frame's populations as fpc,
#   svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population)
# on the example responses (index_fpc_scores.csv, made by make_index_fpc_csv.py).
# For every survey sub-criterion score: each (unit, group) mean with SE (svyby, svymean,
# na.rm = TRUE), and each unit's combination of its groups, 0.4 leader + 0.6 official
# (the criteria sets' alpha), with SE (svycontrast on svyby(covmat = TRUE)).
# Run: Rscript reference_index_fpc.R index_fpc_scores.csv reference_index_fpc.json
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(TRUE)
df <- read.csv(args[1], check.names = FALSE, na.strings = "")
des <- svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population, data = df)
subs <- setdiff(names(df), c("stratum", "weight", "population", "unit", "group"))
groups <- list(); points <- list()
for (s in subs) {
  f <- as.formula(paste0("~`", s, "`"))
  sub_des <- subset(des, !is.na(df[[s]]))
  by <- svyby(f, ~unit + group, sub_des, svymean, covmat = TRUE)
  est <- coef(by); v <- vcov(by); keys <- names(est)
  for (k in seq_along(est)) {
    parts <- strsplit(keys[k], ".", fixed = TRUE)[[1]]
    groups[[length(groups) + 1]] <- list(sub = s, unit = parts[1], group = parts[2],
                                         mean = unname(est[k]), se = sqrt(v[k, k]))
  }
  for (u in unique(df$unit)) {
    l <- paste0(u, ".leader"); o <- paste0(u, ".official")
    if (!(l %in% keys && o %in% keys)) next
    w <- setNames(rep(0, length(keys)), keys); w[l] <- 0.4; w[o] <- 0.6
    ct <- svycontrast(by, w)
    points[[length(points) + 1]] <- list(sub = s, unit = u, value = unname(coef(ct)),
                                         se = unname(sqrt(vcov(ct)[1, 1])))
  }
}
num <- function(x) sprintf("%.17g", x)
row <- function(r) paste0("{", paste(sprintf('"%s": %s', names(r), sapply(r, function(v)
  if (is.character(v)) sprintf('"%s"', v) else num(v))), collapse = ", "), "}")
lines <- c("{", sprintf('"meta": {"r": "%s", "survey": "%s", "df": %d,', R.version.string,
                        as.character(packageVersion("survey")), degf(des)),
           '"design": "svydesign(ids = ~1, strata = ~stratum, weights = ~weight, fpc = ~population)"},',
           '"groups": [', paste(sapply(groups, row), collapse = ",\n"), "],",
           '"points": [', paste(sapply(points, row), collapse = ",\n"), "]}")
writeLines(lines, args[2])
