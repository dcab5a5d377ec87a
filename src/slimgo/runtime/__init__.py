"""Run an image with runc: unpack its layers into a bundle, write the runtime config, run and clean up."""
