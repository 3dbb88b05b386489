"""The reference batch's figures as SPEC section 5 and the press release give them, for tests that
read them in the pipeline's output. Never computed by the pipeline."""

# The 9 counties that left the list on 2020-11-23, as reference/guizhou_counties.csv (GB/T 2260)
# names them.
EXIT_COUNTIES_2020 = (
    "紫云苗族布依族自治县",
    "纳雍县",
    "威宁彝族回族苗族自治县",
    "赫章县",
    "沿河土家族自治县",
    "晴隆县",
    "望谟县",
    "榕江县",
    "从江县",
)
# Per-capita net income of the surveyed exited households, its margin over the 2020 poverty
# line, the province's registered households' average and the margin over it (yuan), and
# public acceptance.
INCOME, OVER_LINE, PROVINCE, OVER_PROVINCE = "11,487.39", "7,487.39", "9,925.38", "1,562.01"
ACCEPTANCE = "99.12%"
