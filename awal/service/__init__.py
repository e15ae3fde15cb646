"""The service floor: the HTTP + WebSocket app behind ``awal serve`` (the only floor that
imports FastAPI).

- :mod:`awal.service.app`: :func:`create_app` (``uvicorn awal.service:create_app --factory``)
  and :func:`serve` (uvicorn with the streams drained first on shutdown);
- :mod:`awal.service.routes`: ``WS /v1/listen``, ``/healthz``, ``/readyz``, ``/metrics``, API keys;
- :mod:`awal.service.listen`: one ``/v1/listen`` connection (Deepgram's streaming protocol);
- :mod:`awal.service.transcriptions`: ``POST /v1/audio/transcriptions`` (OpenAI-compatible);
- :mod:`awal.service.speech`: ``POST /v1/audio/speech`` (OpenAI-compatible);
- :mod:`awal.service.metrics`: Prometheus metrics and latency clocks;
- :mod:`awal.service.client`: the reference client of ``/v1/listen`` (``awal stream``).

Importing this package imports neither FastAPI nor the models: :func:`create_app` does.
"""

from awal.service.app import create_app, serve

__all__ = ["create_app", "serve"]
