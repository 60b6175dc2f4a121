"""The demos; ``demo.video_writer`` is the overlay video writer they share."""
