"""Grounded answers: refusal decision, extractive or generative answerer, verified citations.
The entry point is `assistant.service.Assistant` (built by kb.app.wiring.App.assistant())."""
