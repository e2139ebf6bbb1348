"""The IPSS-R's risk categories (Greenberg et al., Blood 2012) and the levels of a
patient's change between them. No pandas: the figures import this module in processes that
draw only."""

#: Risk categories, best to worst.
CATEGORIES: tuple[str, ...] = ("Very Low", "Low", "Intermediate", "High", "Very High")

#: A patient's change of category from before to after treatment.
CHANGE_LEVELS = ("improved", "unchanged", "worsened")
