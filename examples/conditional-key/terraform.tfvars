create_publisher_key = true
