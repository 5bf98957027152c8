# Korn-Graubard (svyciprop beta) and logit intervals per unit on fpc / two-stage designs.
# usage: Rscript reference_beta.R survey_2k_designs.csv OUT.json
suppressMessages({library(survey); library(jsonlite)})
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)
a <- commandArgs(TRUE)
d <- read.csv(a[1], colClasses = "character")
for (c in c("base_weight", "psu_pop", "ssu_pop")) d[[c]] <- as.numeric(d[[c]])
for (it in c("q1", "q2")) d[[paste0("sat_", it)]] <- as.numeric(as.numeric(ifelse(d[[it]] == "NA", NA, d[[it]])) >= 4)
designs <- list(
  stage1_fpc = svydesign(ids = ~psu, strata = ~stratum, weights = ~base_weight, fpc = ~psu_pop, data = d, nest = TRUE),
  two_stage_fpc_ssu = svydesign(ids = ~psu + ssu, strata = ~stratum, weights = ~base_weight, fpc = ~psu_pop + ssu_pop, data = d, nest = TRUE))
out <- list()
for (nm in names(designs)) for (it in c("q1", "q2")) {
  des <- designs[[nm]]; fo <- as.formula(paste0("~sat_", it))
  b <- svyby(fo, ~unit, des, svyciprop, method = "beta", na.rm = TRUE, vartype = "ci")
  for (i in seq_len(nrow(b))) out[[length(out) + 1]] <- list(design = nm, item = it,
    unit = as.character(b$unit[i]), p = unname(coef(b)[i]), beta_low = b$ci_l[i], beta_high = b$ci_u[i])
}
writeLines(toJSON(list(proportions = out), auto_unbox = TRUE, digits = NA, na = "null"), a[2])
