"""Known mistakes that any exercise can make: precision and numpy usage.

`FLOAT32` is recognised by `autograder.compare` in every comparison of values; the
`RAISED` mistakes by the plugin in every exception that student code raises.
"""

from autograder.feedback import RaisedMistake

FLOAT32 = "it was computed in float32, which keeps only about 7 digits; the exercises work in float64 (no astype(np.float32), no float32 torch tensors)."
ZERO_DIM_CONVERSION = (
    "numpy 2, which the grader uses, converts only a 0-dimensional array with float() or int(): "
    "take the one element with .item() (b.item(), np.flatnonzero(mask).item()) or by its index (b[0, 0, 0])."
)
MAX_FOR_MAXIMUM = (
    "numpy was given an array where it needs one integer, an axis or an index: np.max(0, x) takes the max of 0 "
    "along axis x; the elementwise maximum of 0 and x is np.maximum(0, x)."
)
FLOAT_FOR_INT = "a float was used where an integer is needed (a size, a range, an index): divide with // where the lecture's formula rounds down."
REMOVED_IN_NUMPY_2 = "it uses a name that numpy 2, which the grader uses, removed: use the name numpy's message gives (np.float64 for np.float_, np.nan for np.NaN, np.inf for np.Inf)."

RAISED = (
    # numpy 1.25 and 1.26 only warn (the plugin makes that warning an error, as numpy 2 is)
    RaisedMistake(ZERO_DIM_CONVERSION, r"TypeError: only 0-dimensional arrays can be converted|DeprecationWarning: Conversion of an array with ndim > 0 to a scalar"),
    RaisedMistake(MAX_FOR_MAXIMUM, r"TypeError: only integer scalar arrays can be converted to a scalar index"),
    RaisedMistake(FLOAT_FOR_INT, r"TypeError: ('(numpy\.)?float(64)?' object cannot be interpreted as an integer|slice indices must be integers)|IndexError: only integers, slices"),
    RaisedMistake(REMOVED_IN_NUMPY_2, r"AttributeError: .*was removed in the NumPy 2\.0 release"),
)
