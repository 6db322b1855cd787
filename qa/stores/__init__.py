"""Where an index lives: a folder of files (the default) or a PostgreSQL database with pgvector (``--store URL``).

Both stores hold the same index behind one small interface (``base.IndexStore``; ``choose.open_store`` picks one);
the engine never asks which it has.
"""
