"""Indexing on a Ray cluster (``index --ray``): the driver plans and writes as always (``qa.indexer``), the cluster
reads, OCRs, cuts and embeds (``ray_reader`` on the driver, ``worker`` on each node). Ray is an optional extra."""
