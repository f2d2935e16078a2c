"""Hostile inputs for the flattener, generated on demand (nothing big is stored).

``corpus.write_corpus(folder)`` writes every case of :data:`corpus.CASES` into ``folder``;
``runner.py`` runs them through ``engframe.flatten`` and ``engframe.load`` in a fresh
process and reports the outcome, the wall time and the peak memory of each.
"""
