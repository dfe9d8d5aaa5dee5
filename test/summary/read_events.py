"""Independent check of an event file, run by python_reader.test.ts.

Verifies the TFRecord CRCs with crcmod's CRC-32C and parses each record
with Google's protobuf runtime, from a schema declared here with the field
numbers of tensorflow/core/util/event.proto and framework/summary.proto.
Prints the events as JSON, plus whether protobuf re-serializes each record
to the same bytes. Needs Debian's python3-crcmod and python3-protobuf.
"""
import json
import struct
import sys

import crcmod.predefined
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

crc32c = crcmod.predefined.mkCrcFun('crc-32c')


def masked(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


F = descriptor_pb2.FieldDescriptorProto


def message(file, name, fields):
    msg = file.message_type.add(name=name)
    for field_name, number, type_, extra in fields:
        field = msg.field.add(name=field_name, number=number, type=type_,
                              label=extra.get('label', F.LABEL_OPTIONAL))
        if 'type_name' in extra:
            field.type_name = extra['type_name']
        if 'oneof' in extra:
            if not msg.oneof_decl:
                msg.oneof_decl.add(name=extra['oneof_name'])
            field.oneof_index = 0
    return msg


def event_class():
    file = descriptor_pb2.FileDescriptorProto(name='ev.proto', package='tensorflow', syntax='proto3')
    message(file, 'SummaryValue', [
        ('tag', 1, F.TYPE_STRING, {}),
        ('simple_value', 2, F.TYPE_FLOAT, {'oneof': True, 'oneof_name': 'value'}),
    ])
    message(file, 'Summary', [
        ('value', 1, F.TYPE_MESSAGE,
         {'label': F.LABEL_REPEATED, 'type_name': '.tensorflow.SummaryValue'}),
    ])
    message(file, 'Event', [
        ('wall_time', 1, F.TYPE_DOUBLE, {}),
        ('step', 2, F.TYPE_INT64, {}),
        ('file_version', 3, F.TYPE_STRING, {'oneof': True, 'oneof_name': 'what'}),
        ('summary', 5, F.TYPE_MESSAGE,
         {'oneof': True, 'oneof_name': 'what', 'type_name': '.tensorflow.Summary'}),
    ])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    desc = pool.FindMessageTypeByName('tensorflow.Event')
    if hasattr(message_factory, 'GetMessageClass'):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def main(path):
    Event = event_class()
    data = open(path, 'rb').read()
    pos, events = 0, []
    while pos < len(data):
        header = data[pos:pos + 8]
        (length,) = struct.unpack('<Q', header)
        (length_crc,) = struct.unpack('<I', data[pos + 8:pos + 12])
        payload = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack('<I', data[pos + 12 + length:pos + 16 + length])
        event = Event()
        event.ParseFromString(payload)
        events.append({
            'length_crc_ok': length_crc == masked(header),
            'data_crc_ok': data_crc == masked(payload),
            'canonical': event.SerializeToString(deterministic=True) == payload,
            'wall_time': event.wall_time,
            'step': event.step,
            'what': event.WhichOneof('what'),
            'file_version': event.file_version,
            'values': [{'tag': v.tag, 'simple_value': v.simple_value,
                        'has_simple_value': v.HasField('simple_value')}
                       for v in event.summary.value],
        })
        pos += 16 + length
    json.dump(events, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
