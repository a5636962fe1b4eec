"""Synthetic Russian-helpdesk contacts with ground truth, made hard on purpose.

``generate(persons, seed)`` returns a :class:`Dataset` (contacts, interactions, truth) in the
pipeline's input contract; ``write_dataset`` writes it as CSV.  Rates of every hard case live in
``synth.config.CONFIG``.  The generator does not use the project's normalizers.
"""

from synth.config import CONFIG, SynthConfig
from synth.generator import Dataset, generate, write_dataset

__all__ = ["CONFIG", "Dataset", "SynthConfig", "generate", "write_dataset"]
