"""Figure extraction: how many people fled to which place, read from a report's text."""

from app.extract.core import EXTRACTOR_VERSION, ExtractedFigure, extract
from app.extract.jsonl import extract_jsonl, process_line

__all__ = ["EXTRACTOR_VERSION", "ExtractedFigure", "extract", "extract_jsonl", "process_line"]
