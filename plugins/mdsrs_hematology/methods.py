"""The names of the hematology endpoint's tests, as R's htest objects print them (records'
``method``; the figures and tables look rows up by them). No pandas: the figures import
this module in processes that draw only."""

PAIRED = "Paired t-test"
SIGNED_RANK = "Wilcoxon signed rank test"
WELCH = "Welch Two Sample t-test"
