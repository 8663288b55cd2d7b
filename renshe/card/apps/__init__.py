"""Third-party apps (第三方应用) and sign-in with the e-SSC (电子社保卡登录)."""
