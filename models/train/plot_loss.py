#!/usr/bin/env python3
"""Draws the training curve of tianti-tiny (models/train/loss.svg) with gnuplot.

Called by models/train/build.sh (last step); reads models/train/work/train_log.tsv
written by train.py.  Skips with a message when gnuplot is missing.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    log = os.path.join(HERE, "work", "train_log.tsv")
    if not shutil.which("gnuplot"):
        print("plot_loss: gnuplot not found, no figure drawn", file=sys.stderr)
        return
    script = """
set terminal svg size 720,400 font 'sans,11'
set output '%s'
set title 'tianti-tiny training (cross-entropy, nats/token)'
set xlabel 'step (16 x 256 tokens)'
set ylabel 'loss'
set logscale y
set grid
set key top right
plot '%s' using 1:3 skip 1 with lines lw 2 title 'train, weighted (mean since last point; weights change at 600 and 900)', \\
     '' using 1:4 skip 1 with lines lw 2 title 'held-out documents'
""" % (os.path.join(HERE, "loss.svg"), log)
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    print("plot_loss: wrote loss.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
