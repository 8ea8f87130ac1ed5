"""The bottom layer: constants, errors, shipped-data paths, validation helpers, the memory
budget, progress bars and the version. Imports nothing else of leolat."""
