"""The public Gradio demo. Filled by the demo issue."""
