"""The assistant: typed tools, a bounded model loop, an offline interpreter, confirmations.

Layers inside the package (each imports only those above it in this list):
context → services (the seams to the product's services) → tools → confirm → executor →
prompts → providers → loop / commands → conversations → turn (what web and CLI call).
"""
