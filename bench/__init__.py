"""Benchmarks of Dapur at national scale: scripts that measure and report, never assert."""
