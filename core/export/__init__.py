"""Exporting a trained run for other runtimes: GGUF for llama.cpp and Ollama (gguf_file.py)."""
