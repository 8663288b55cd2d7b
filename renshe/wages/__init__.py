"""Migrant workers' real names and wage payment monitoring (农民工工资支付监控, 保障农民工工资支付条例 2020):
construction projects, real-name workers, attendance, the wage special account and deposit, monthly pay sheets,
warning rules scanned in SQL, arrears clues from workers, and the rights notice board."""
