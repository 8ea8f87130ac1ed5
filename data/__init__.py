"""Data files shipped with leolat (presets, small site lists); read them via :mod:`importlib.resources`."""
