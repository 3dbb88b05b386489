# The independent reference for SPEC 3.5: R's survey package on a county's surveyed households.
#
#   Rscript svyciprop.R households.csv results.csv
#
# households.csv: one row per surveyed household of one county, with village_code,
# sample_frame, household_size, meets_standard (true/false) and acceptance. For each rate the
# design has every household as a row, clustered by village (ids = ~village_code, one stratum,
# with replacement), weighted by m_h (household_size for the failure rates, 1 for acceptance);
# the rate is the mean of its 0/1 outcome over subset(design, frame), as SPEC 3.5 says:
# svyciprop(~fail, subset(design, frame), method = "beta"). Writes one row per rate and level:
# rate, level, estimate, se, degf, ci_low, ci_high.
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
households <- read.csv(args[1], colClasses = "character")
households$household_size <- as.numeric(households$household_size)
failing <- households$meets_standard != "true"

rates <- list(
  wrong_exit = list(
    weight = households$household_size,
    outcome = as.numeric(failing),
    frame = households$sample_frame == "exited"
  ),
  missed = list(
    weight = households$household_size,
    outcome = as.numeric(failing),
    frame = households$sample_frame == "non_registered"
  ),
  acceptance = list(
    weight = rep(1, nrow(households)),
    outcome = as.numeric(households$acceptance == "accept"),
    frame = rep(TRUE, nrow(households))
  )
)

results <- NULL
for (rate in names(rates)) {
  spec <- rates[[rate]]
  data <- data.frame(
    village_code = households$village_code,
    m = spec$weight,
    outcome = spec$outcome,
    in_frame = spec$frame
  )
  design <- svydesign(ids = ~village_code, weights = ~m, data = data)
  frame <- subset(design, in_frame)
  mean <- svymean(~outcome, frame)
  for (level in c(0.95, 0.90)) {
    ci <- svyciprop(~outcome, frame, method = "beta", level = level)
    bounds <- attr(ci, "ci")
    results <- rbind(results, data.frame(
      rate = rate,
      level = level,
      estimate = unname(coef(mean)),
      se = unname(SE(mean)),
      degf = degf(frame),
      ci_low = unname(bounds[1]),
      ci_high = unname(bounds[2])
    ))
  }
}
write.csv(results, args[2], row.names = FALSE)
