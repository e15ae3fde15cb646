"""Streaming recognition: per-session state, VAD gating, incremental decoding with an agreement
policy, endpointing (being built; issue 5). :mod:`asr.streaming.agreement` is the policy."""
