#!/usr/bin/env python3
"""Draws the virtual card's synthetic face photo (no real person) as a PGM.

Regenerate the committed JPEG 2000 file with (Debian package libopenjp2-tools):
    python3 make_photo.py > photo.pgm
    opj_compress -i photo.pgm -o photo.jp2 -r 12
"""
import math
import sys

W, H = 150, 200


def shade(x, y):
    v = 215  # light background
    # hair
    if ((x - 75) / 52) ** 2 + ((y - 80) / 60) ** 2 < 1 and y < 95:
        v = 50
    # face
    if ((x - 75) / 44) ** 2 + ((y - 100) / 58) ** 2 < 1 and y > 55:
        v = 175 - int(20 * abs(x - 75) / 44)
    # shoulders
    if y > 160 and abs(x - 75) < 20 + (y - 160) * 1.8:
        v = 90
    # eyes, brows, nose, mouth
    for ex in (58, 92):
        if ((x - ex) / 7) ** 2 + ((y - 95) / 4) ** 2 < 1:
            v = 30
        if abs(y - 84) < 2 and abs(x - ex) < 9:
            v = 60
    if abs(x - 75) < 2 and 100 < y < 118:
        v = 140
    if abs(y - 132 - 0.02 * (x - 75) ** 2) < 2 and abs(x - 75) < 14:
        v = 80
    return max(0, min(255, v + int(6 * math.sin(x * 0.7) * math.cos(y * 0.5))))


sys.stdout.buffer.write(b"P5\n%d %d\n255\n" % (W, H))
sys.stdout.buffer.write(bytes(shade(x, y) for y in range(H) for x in range(W)))
