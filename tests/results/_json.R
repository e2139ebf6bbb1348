# The JSON writer shared by the R reference scripts that write .json outputs: numbers with 17
# significant digits (null for NA/NaN/Inf), strings quoted, named lists as objects, vectors of
# length != 1 (or wrapped in I()) as arrays. Sourced from the repository root:
# source("tests/results/_json.R").

num <- function(x) ifelse(is.finite(x), sprintf("%.17g", x), "null")
str_json <- function(x) paste0('"', gsub('"', '\\"', x, fixed = TRUE), '"')
to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    keys <- names(x)
    items <- vapply(seq_along(x), function(i) {
      paste0(inner, str_json(keys[i]), ": ", to_json(x[[i]], inner))
    }, character(1))
    return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
  }
  as_array <- inherits(x, "AsIs") || length(x) != 1
  if (is.factor(x)) x <- as.character(x)
  vals <- if (is.character(x)) str_json(x) else if (is.logical(x)) {
    ifelse(x, "true", "false")
  } else num(as.numeric(x))
  if (as_array) paste0("[", paste(vals, collapse = ", "), "]") else vals
}
