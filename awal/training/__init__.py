"""The training floor (``awal.training``): the kit the ASR and TTS recipes share.

- :mod:`awal.training.trainer`: NeMo's training set-up (seed, threads, Lightning ``Trainer``,
  ``exp_manager``), the curves callback and plot, the best checkpoint at validations;
- :mod:`awal.training.metadata`: the typed training summary every training writes beside its
  model (``awal_training.json``: one schema, one writer, one reader);
- :mod:`awal.training.card`: model cards' shared pieces and the bundling rule (a model replaces
  the bundled one only when it measures better).

It needs the train extra (torch, Lightning, NeMo); serving never imports it.
"""
