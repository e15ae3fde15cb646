"""awal: speech recognition and synthesis for Moroccan Darija and Tamazight.

The ground floor (this package) holds what every other part of awal shares: the
language registry, text processing, scoring, audio I/O and manifests. It imports
without torch, NeMo or Gradio.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
