"""CTCAE v5 grades (0 none, 1 mild to 5 death) and the groups the report shows them in. No
pandas: the figures import this module in processes that draw only."""

GRADES = (0, 1, 2, 3, 4, 5)
GROUPS = (("0", (0,)), ("1-2", (1, 2)), ("3-4", (3, 4)), ("5", (5,)))
