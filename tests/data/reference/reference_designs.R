# R survey references for fpc / two-stage designs, their domains, proportions and raking.
# Extends reference_fpc.R (same output fields) with a domain column, proportions and rake().
# usage: Rscript reference_designs.R CASE.csv OUT.json ITEMS SATMIN MARGINS DESIGNSPEC...
#   each DESIGNSPEC: name=psu:ssu:strata:weight:fpc:fpc2:by:rake (empty field = absent;
#   rake = "yes" rakes to MARGINS (variable,level,count) with rake()'s defaults of
#   ESTIMATORS (b)); SATMIN: an answer >= this is satisfied ("" = no proportions).
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)
a <- commandArgs(TRUE)
d <- read.csv(a[1], colClasses = "character")
items <- strsplit(a[3], ",")[[1]]
satmin <- if (nzchar(a[4])) as.numeric(a[4]) else NA
for (it in items) d[[it]] <- as.numeric(ifelse(d[[it]] %in% c("", "NA"), NA, d[[it]]))
if (!is.na(satmin)) for (it in items) d[[paste0("sat_", it)]] <- as.numeric(d[[it]] >= satmin)
rake_to <- function(des) {
  m <- read.csv(a[5], colClasses = c("character", "character", "numeric"))
  vars <- unique(m$variable)
  pops <- lapply(vars, function(v) {
    x <- m[m$variable == v, ]; out <- data.frame(x$level, x$count); names(out) <- c(v, "Freq"); out
  })
  rake(des, lapply(vars, function(v) as.formula(paste0("~", v))), pops,
       control = list(maxit = 100, epsilon = 1e-12))
}
means <- list(); props <- list()
for (spec in a[-(1:5)]) {
  nm <- sub("=.*", "", spec); f <- strsplit(sub(".*=", "", spec), ":", fixed = TRUE)[[1]]
  f <- c(f, rep("", 8 - length(f)))
  by <- if (nzchar(f[7])) f[7] else "unit"
  for (col in f[4:6]) if (nzchar(col)) d[[col]] <- as.numeric(d[[col]])
  ids <- if (nzchar(f[1])) as.formula(paste0("~", f[1], if (nzchar(f[2])) paste0("+", f[2]) else "")) else ~1
  fpc <- if (nzchar(f[5])) as.formula(paste0("~", f[5], if (nzchar(f[6])) paste0("+", f[6]) else "")) else NULL
  des <- svydesign(ids = ids, strata = if (nzchar(f[3])) as.formula(paste0("~", f[3])) else NULL,
                   weights = if (nzchar(f[4])) as.formula(paste0("~", f[4])) else NULL,
                   fpc = fpc, data = d, nest = TRUE)
  df <- degf(des)
  if (f[8] == "yes") des <- rake_to(des)
  byf <- as.formula(paste0("~", by))
  row <- function(it, unit, n, est, se, lo, hi, deff)
    list(design = nm, item = it, unit = unit, n = n, mean = est, se = se, ci_low = lo,
         ci_high = hi, df = df, deff = deff)
  for (it in items) {
    fo <- as.formula(paste0("~", it))
    b <- svyby(fo, byf, des, svymean, na.rm = TRUE, deff = TRUE)
    n <- svyby(fo, byf, des, unwtd.count, na.rm = TRUE)
    ci <- confint(b, df = df)
    al <- svymean(fo, des, na.rm = TRUE, deff = TRUE); cia <- confint(al, df = df)
    for (i in seq_len(nrow(b))) means[[length(means) + 1]] <- row(it, as.character(b[[by]][i]),
      n$counts[i], unname(coef(b)[i]), unname(SE(b)[i]), ci[i, 1], ci[i, 2], unname(deff(b)[i]))
    means[[length(means) + 1]] <- row(it, "_ALL_", sum(!is.na(d[[it]])), as.numeric(coef(al)),
      as.numeric(SE(al)), cia[1, 1], cia[1, 2], as.numeric(deff(al)))
    if (is.na(satmin)) next
    sb <- svyby(as.formula(paste0("~sat_", it)), byf, des, svymean, na.rm = TRUE)
    t <- qt(0.975, df)
    for (i in seq_len(nrow(sb))) {
      p <- unname(coef(sb)[i]); se <- unname(SE(sb)[i])
      ok <- p > 0 && p < 1
      props[[length(props) + 1]] <- list(design = nm, item = it, unit = as.character(sb[[by]][i]),
        p = p, se = se,
        logit_low = if (ok) plogis(qlogis(p) - t * se / (p * (1 - p))) else NA,
        logit_high = if (ok) plogis(qlogis(p) + t * se / (p * (1 - p))) else NA)
    }
  }
}
writeLines(toJSON(list(r_version = as.character(packageVersion("survey")), means = means,
                       proportions = props), auto_unbox = TRUE, digits = NA, na = "null"), a[2])
cat(length(means), "mean rows,", length(props), "proportion rows\n")
