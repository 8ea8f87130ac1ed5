"""Numba kernels: plain arrays and scalars in, arrays out.

Nothing here imports the friendly layer (``leolat.*`` outside ``_kernels``);
validation, unit conversion and allocation happen there.
"""
