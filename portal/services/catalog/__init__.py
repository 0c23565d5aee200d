"""What is sold: currencies and plans with their prices."""
