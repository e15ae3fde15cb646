"""The public Gradio demo (``awal.demo``, ``awal demo``)."""
