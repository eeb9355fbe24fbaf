"""softproof: symbolic and numeric proof checking for softmax regression (arXiv:2304.13276).

Public entry points: the command line (``softproof``), the Hypothesis strategies
(:mod:`softproof.strategies`), the symbolic core (:mod:`softproof.derivations`) and
the evaluators and checkers (:mod:`softproof.numeric`).
"""

from ._version import __version__

__all__ = ["__version__"]
