"""Streaming recognition: per-session state, VAD gating, incremental decoding with an agreement
policy, endpointing.

- :mod:`awal.asr.streaming.agreement`: commit what consecutive hypotheses agree on (append-only);
- :mod:`awal.asr.streaming.vad`: Silero VAD frame by frame with its state carried, and a speech gate;
- :mod:`awal.asr.decoder` (shared with batch transcription and evaluation): windows of many streams
  decoded in one batched call per language, with word times and the scores the guards read;
- :mod:`awal.asr.streaming.session`: one stream: VAD gating, bounded buffer, agreement, endpointing,
  guards, Finalize and close; interim and final results with word times;
- :mod:`awal.asr.streaming.engine`: sessions sharing one model, decoding batched across sessions.

The WebSocket service around it (``awal serve``, ``/v1/listen``) is :mod:`awal.service`.
"""
