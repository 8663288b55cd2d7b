"""The electronic SSC (电子社保卡): its signing keys, its issue and the dynamic QR code."""
