"""The extraction engine: read notebooks, plan what moves, write modules and notebooks.

No typer and no copier here: this is library code the CLI calls.
"""
