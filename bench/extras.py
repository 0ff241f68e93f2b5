"""Optional fast solvers (pypardiso + MKL, scikit-umfpack) kept outside the project venv.

bw2calc picks its solver when it is first imported: pypardiso if importable, else
scikit-umfpack, else SciPy's SuperLU. Installing pypardiso into the shared venv would switch
every bw2calc calculation in the project (and its tests) to PARDISO, so the benchmarks take
these packages from a separate prefix instead, installed with e.g.::

    .venv/bin/python -m pip install --no-deps --prefix var/bench-extras \\
        pypardiso mkl intel-openmp tbb tcmlib umf intel-cmplr-lib-ur

`enable(prefix)` must run before bw2calc is imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def enable(prefix: str | None) -> str:
    """Put ``prefix``'s site-packages first on sys.path and point pypardiso at its MKL."""
    if not prefix:
        return "none"
    root = Path(prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = root / "lib" / version / "site-packages"
    if not site.is_dir():
        raise SystemExit(f"--extras {prefix}: no {site}")
    sys.path.insert(0, str(site))
    mkl = sorted((root / "lib").glob("libmkl_rt.so*"))
    if mkl and "PYPARDISO_MKL_RT" not in os.environ:
        os.environ["PYPARDISO_MKL_RT"] = str(mkl[-1])
    return str(site)


def bw2calc_solver() -> str:
    """Which solver bw2calc uses in this process (imports bw2calc)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bw2calc

    if bw2calc.PYPARDISO:
        return "pypardiso (MKL PARDISO)"
    if bw2calc.UMFPACK:
        return "scikit-umfpack"
    return "scipy SuperLU"
