"""Oversight systems built on the signed log (docs/oversight.md): public disclosure of decisions
(公示), supervision notices and feedback (督办反馈), warning levels and formal warnings (监督警示),
and the integrity-based assessment (定考)."""
