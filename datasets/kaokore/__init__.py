"""KaoKore v1.3: faces from Japanese illustrations (ROIS-DS CODH, CC BY-SA 4.0)."""
