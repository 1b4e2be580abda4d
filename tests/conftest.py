import os
os.environ.setdefault('AKT_VPC_QUIET', '1')  # no progress bars in test logs
os.environ.setdefault('MPLBACKEND', 'Agg')
