"""Named layouts of the plain arrays that cross the kernel boundary.

The friendly layer builds these arrays and the kernels read them; both use the names
below, never bare column numbers. (Module-level integers are compile-time constants
to numba, so naming them costs nothing.)
"""

from __future__ import annotations

# ---- Ground sites: one row per site, ground/site_frames.py builds them.
SITE_X, SITE_Y, SITE_Z = 0, 1, 2          # Earth-fixed position, km
SITE_SIN_LAT, SITE_COS_LAT = 3, 4         # geodetic latitude
SITE_SIN_LON, SITE_COS_LON = 5, 6         # longitude
SITE_COLUMNS = 7

# ---- Running coverage statistics: one column per target, geometry/coverage.py reads them.
COV_SUM = 0              # sum of visible counts
COV_MIN = 1              # smallest count
COV_MAX = 2              # largest count
COV_COVERED = 3          # steps with at least k satellites
COV_STEPS = 4            # steps seen
COV_GAP = 5              # length of the gap in progress (steps)
COV_GAP_AT_START = 6     # 1 if the gap in progress started at the window start
COV_GAPS = 7             # closed gaps (not touching the window start)
COV_GAP_MAX = 8          # longest closed gap
COV_GAP_SUM = 9          # sum of closed gaps
COV_GAP_SUM2 = 10        # sum of squared closed gaps
COV_STARTS = 11          # coverage intervals started
COV_FIRST_START = 12     # step of the first start
COV_LAST_START = 13      # step of the last start
COV_WAS_COVERED = 14     # 1 if the previous step was covered
COV_EDGE_GAPS = 15       # the same four sums for gaps that touched the window start
COV_EDGE_GAP_MAX = 16
COV_EDGE_GAP_SUM = 17
COV_EDGE_GAP_SUM2 = 18
COV_ROWS = 19
